// The search bench's catalogue (issue 17): shops and products with realistic Chinese e-commerce titles — and some
// English and bilingual ones as cross-border shops write them, and a few shops writing traditional characters —
// generated from a seed, so the same seed gives the same catalogue. Every product carries what it is (category,
// product kind, brand, descriptors, modifiers, language), and a query's relevant set is a predicate over those
// attributes (eval/search-queries.json): relevance is known from the generator, never from the search engine.
// Rows go straight into the database as multi-row INSERTs (shops with their owners, products, SKUs), the same
// rows the API would write.
import { seededRandom } from '../src/platform/random.ts';
import * as OpenCC from 'opencc-js';
import type { Database } from '../src/adapters/db/index.ts';

/** A phrase in Chinese and in English. */
type Phrase = readonly [zh: string, en: string];

interface Kind {
  id: string;
  /** The product word as titles write it (simplified). */
  zh: string;
  /** English names cross-border shops use for it. */
  en: readonly string[];
  /** Words that describe it, written before the product word (保湿 + 面霜). */
  desc: readonly Phrase[];
  specs: readonly string[];
  /** Words written right after the product word in some titles (龙井 + 茶叶). */
  after?: readonly string[];
  /** Where it comes from (西湖龙井), written before it in some titles. */
  origins?: readonly Phrase[];
}

interface Brand {
  id: string;
  zh: string;
  en: string;
  /** The kinds it makes (all of its category's when absent). */
  kinds?: readonly string[];
  /** Product lines or the phone models an accessory fits. */
  lines?: readonly string[];
}

interface Category {
  id: string;
  zh: string;
  en: string;
  kinds: readonly Kind[];
  brands: readonly Brand[];
  /** Modifiers that make sense here (besides the general ones). */
  mods?: readonly string[];
}

const k = (id: string, zh: string, en: string[], desc: Phrase[], specs: string[], extra: Partial<Kind> = {}): Kind => ({ id, zh, en, desc, specs, ...extra });
const b = (id: string, zh: string, en: string, extra: Partial<Brand> = {}): Brand => ({ id, zh, en, ...extra });

const PHONES: Record<string, string[]> = {
  huawei: ['Mate 60', 'Mate 60 Pro', 'P70', 'nova 12', 'Pura 70'],
  apple: ['iPhone 15', 'iPhone 15 Pro Max', 'iPhone 14', 'iPhone 13'],
  xiaomi: ['小米14', '小米14 Ultra', 'Redmi K70', 'Redmi Note 13'],
  oppo: ['Find X7', 'Reno11', 'A2 Pro'],
  vivo: ['X100', 'S18', 'iQOO 12'],
  honor: ['Magic6', '荣耀90', 'X50'],
};
const PHONE_BRANDS = [b('huawei', '华为', 'Huawei'), b('apple', '苹果', 'Apple'), b('xiaomi', '小米', 'Xiaomi'), b('oppo', 'OPPO', 'OPPO'), b('vivo', 'vivo', 'vivo'), b('honor', '荣耀', 'Honor')].map((x) => ({
  ...x,
  lines: PHONES[x.id],
}));

const SIZES = ['S', 'M', 'L', 'XL', 'XXL', '均码'];

export const CATEGORIES: readonly Category[] = [
  {
    id: 'tea', zh: '茶叶', en: 'Tea', mods: ['gift', 'mingqian', 'organic'],
    kinds: [
      k('longjing', '龙井', ['West Lake Longjing Green Tea', 'Longjing Dragon Well Tea', 'Dragon Well Green Tea'], [['特级', 'Premium'], ['雨前', 'Spring'], ['浓香型', 'Rich']], ['250g', '500g', '100g', '125g×2罐'], { after: ['茶叶', '茶', '绿茶'], origins: [['西湖', 'West Lake'], ['狮峰', 'Shifeng'], ['杭州', 'Hangzhou']] }),
      k('puer', '普洱', ["Pu'er Tea", 'Puerh Tea Cake'], [['熟茶', 'Ripe'], ['生茶', 'Raw'], ['古树', 'Ancient Tree']], ['357g', '200g', '100g'], { after: ['茶饼', '茶'], origins: [['云南', 'Yunnan'], ['勐海', 'Menghai']] }),
      k('tieguanyin', '铁观音', ['Tieguanyin Oolong Tea', 'Iron Goddess Oolong'], [['清香型', 'Light'], ['浓香型', 'Rich'], ['特级', 'Premium']], ['250g', '500g'], { after: ['茶叶', '乌龙茶'], origins: [['安溪', 'Anxi']] }),
      k('black-tea', '红茶', ['Black Tea', 'Keemun Black Tea'], [['正山小种', 'Lapsang'], ['滇红', 'Dianhong'], ['金骏眉', 'Jinjunmei']], ['250g', '100g'], { after: ['茶叶'], origins: [['武夷山', 'Wuyi'], ['祁门', 'Keemun']] }),
      k('jasmine-tea', '茉莉花茶', ['Jasmine Tea', 'Jasmine Green Tea'], [['浓香', 'Fragrant'], ['飘雪', 'Snow']], ['250g', '500g'], { origins: [['福州', 'Fuzhou'], ['横县', 'Hengxian']] }),
      k('white-tea', '白茶', ['White Tea', 'Bai Mu Dan White Tea'], [['白牡丹', 'Peony'], ['寿眉', 'Shoumei'], ['老白茶', 'Aged']], ['300g', '100g'], { origins: [['福鼎', 'Fuding']] }),
    ],
    brands: [b('xihu', '西湖牌', 'Xihu'), b('lzh', '卢正浩', 'Lu Zhenghao', { kinds: ['longjing'] }), b('dayi', '大益', 'Dayi', { kinds: ['puer'] }), b('bama', '八马', 'Bama Tea'), b('xiaoguan', '小罐茶', 'Xiaoguan Tea'), b('zhangyiyuan', '张一元', 'Zhang Yiyuan')],
  },
  {
    id: 'skincare', zh: '护肤', en: 'Skincare', mods: ['gift', 'genuine'],
    kinds: [
      k('face-cream', '面霜', ['Moisturizing Face Cream', 'Face Cream', 'Moisturizer'], [['保湿', 'Hydrating'], ['补水', 'Moisture'], ['修护', 'Repair'], ['抗皱', 'Anti-Wrinkle']], ['50ml', '30ml', '75ml']),
      k('serum', '精华液', ['Serum', 'Essence Serum'], [['美白', 'Brightening'], ['抗老', 'Anti-Aging'], ['玻尿酸', 'Hyaluronic Acid']], ['30ml', '50ml']),
      k('face-mask', '面膜', ['Sheet Mask', 'Face Mask'], [['补水', 'Hydrating'], ['清洁', 'Cleansing'], ['睡眠', 'Sleeping']], ['10片', '5片', '20片']),
      k('sunscreen', '防晒霜', ['Sunscreen', 'Sunscreen Lotion SPF50'], [['清爽', 'Light'], ['防水', 'Waterproof'], ['户外', 'Outdoor']], ['50ml', '60g']),
      k('cleanser', '洗面奶', ['Facial Cleanser', 'Foaming Cleanser'], [['氨基酸', 'Amino Acid'], ['控油', 'Oil Control'], ['温和', 'Gentle']], ['100g', '150ml']),
      k('toner', '爽肤水', ['Toner', 'Hydrating Toner'], [['保湿', 'Hydrating'], ['收缩毛孔', 'Pore Tightening']], ['200ml', '120ml']),
    ],
    brands: [
      b('laneige', '兰芝', 'Laneige', { lines: ['水库', '睡眠', '雪凝'] }), b('esteelauder', '雅诗兰黛', 'Estee Lauder', { lines: ['小棕瓶', '红石榴'] }),
      b('loreal', '欧莱雅', "L'Oreal", { lines: ['复颜', '紫熨斗'] }), b('proya', '珀莱雅', 'Proya', { lines: ['双抗', '红宝石'] }),
      b('chando', '自然堂', 'Chando', { lines: ['冰肌', '雪域'] }), b('pechoin', '百雀羚', 'Pechoin', { lines: ['水能量', '帧颜'] }), b('winona', '薇诺娜', 'Winona', { lines: ['特护', '舒敏'] }),
    ],
  },
  {
    id: 'makeup', zh: '彩妆', en: 'Makeup', mods: ['gift', 'genuine'],
    kinds: [
      k('lipstick', '口红', ['Lipstick', 'Matte Lipstick'], [['哑光', 'Matte'], ['滋润', 'Moisturizing'], ['丝绒', 'Velvet']], ['3.5g', '套装3支']),
      k('foundation', '粉底液', ['Liquid Foundation', 'Foundation'], [['持妆', 'Long-Wear'], ['遮瑕', 'Full Coverage'], ['控油', 'Oil Control']], ['30ml', '40ml']),
      k('eyeshadow', '眼影盘', ['Eyeshadow Palette', 'Eye Shadow'], [['大地色', 'Earth Tone'], ['珠光', 'Shimmer']], ['12色', '9色']),
      k('mascara', '睫毛膏', ['Mascara', 'Waterproof Mascara'], [['纤长', 'Lengthening'], ['浓密', 'Volumizing'], ['防水', 'Waterproof']], ['8g', '6ml']),
      k('perfume', '香水', ['Perfume', 'Eau de Parfum'], [['淡香', 'Light'], ['花香调', 'Floral'], ['木质调', 'Woody']], ['50ml', '100ml', '30ml']),
    ],
    brands: [b('perfectdiary', '完美日记', 'Perfect Diary'), b('florasis', '花西子', 'Florasis'), b('ysl', '圣罗兰', 'YSL'), b('dior', '迪奥', 'Dior'), b('maybelline', '美宝莲', 'Maybelline'), b('judydoll', '橘朵', 'Judydoll')],
  },
  {
    id: 'phone-accessories', zh: '手机配件', en: 'Phone Accessories',
    kinds: [
      k('phone-case', '手机壳', ['Phone Case', 'Shockproof Phone Case', 'Silicone Phone Cover'], [['磨砂', 'Matte'], ['透明', 'Clear'], ['防摔', 'Shockproof'], ['硅胶', 'Silicone']], ['1个装', '2个装']),
      k('screen-protector', '钢化膜', ['Tempered Glass Screen Protector', 'Screen Protector'], [['高清', 'HD'], ['防窥', 'Privacy'], ['全屏', 'Full Cover']], ['2片装', '3片装']),
      k('phone-stand', '手机支架', ['Phone Stand', 'Phone Holder'], [['桌面', 'Desktop'], ['懒人', 'Adjustable'], ['车载', 'Car']], ['1个']),
    ],
    brands: PHONE_BRANDS,
  },
  {
    id: 'charging', zh: '充电配件', en: 'Charging',
    kinds: [
      k('charger', '充电器', ['Fast Charger', 'USB-C Charger', 'Wall Charger'], [['快充', 'Fast'], ['氮化镓', 'GaN'], ['多口', 'Multi-Port']], ['65W', '30W', '100W', '20W']),
      k('power-bank', '充电宝', ['Power Bank', 'Portable Charger'], [['大容量', 'High Capacity'], ['超薄', 'Slim'], ['快充', 'Fast']], ['10000mAh', '20000mAh']),
      k('cable', '数据线', ['Charging Cable', 'USB-C Cable'], [['编织', 'Braided'], ['快充', 'Fast'], ['加长', 'Long']], ['1米', '2米', '1.5米']),
    ],
    brands: [b('anker', '安克', 'Anker'), b('baseus', '倍思', 'Baseus'), b('ugreen', '绿联', 'Ugreen'), ...PHONE_BRANDS.filter((x) => ['huawei', 'apple', 'xiaomi'].includes(x.id)).map((x) => ({ ...x, lines: undefined }))],
  },
  {
    id: 'audio', zh: '影音', en: 'Audio',
    kinds: [
      k('earbuds', '蓝牙耳机', ['Bluetooth Earbuds', 'Wireless Earbuds', 'True Wireless Earphones'], [['降噪', 'Noise Cancelling'], ['运动', 'Sports'], ['入耳式', 'In-Ear']], ['1副']),
      k('headphones', '头戴式耳机', ['Over-Ear Headphones', 'Wireless Headphones'], [['降噪', 'Noise Cancelling'], ['电竞', 'Gaming']], ['1副']),
      k('speaker', '蓝牙音箱', ['Bluetooth Speaker', 'Portable Speaker'], [['户外', 'Outdoor'], ['防水', 'Waterproof'], ['低音炮', 'Bass']], ['1台']),
    ],
    brands: [b('huawei', '华为', 'Huawei', { lines: ['FreeBuds Pro 3', 'FreeBuds 5i'] }), b('apple', '苹果', 'Apple', { lines: ['AirPods Pro', 'AirPods 3'] }), b('xiaomi', '小米', 'Xiaomi'), b('sony', '索尼', 'Sony'), b('edifier', '漫步者', 'Edifier'), b('jbl', 'JBL', 'JBL')],
  },
  {
    id: 'dresses', zh: '女装', en: 'Womenswear', mods: ['plus-size', 'new', 'y2024'],
    kinds: [
      k('dress', '连衣裙', ['Dress', 'Midi Dress', 'Maxi Dress'], [['碎花', 'Floral'], ['法式', 'French'], ['雪纺', 'Chiffon'], ['收腰', 'Waisted'], ['长款', 'Long']], SIZES, { after: ['女', '女夏'] }),
      k('skirt', '半身裙', ['Skirt', 'A-Line Skirt', 'Pleated Skirt'], [['百褶', 'Pleated'], ['高腰', 'High-Waist'], ['A字', 'A-Line']], SIZES),
      k('blouse', '衬衫', ['Blouse', 'Button-Down Shirt'], [['白色', 'White'], ['宽松', 'Loose'], ['真丝', 'Silk']], SIZES, { after: ['女'] }),
      k('cardigan', '针织开衫', ['Knit Cardigan', 'Cardigan'], [['薄款', 'Thin'], ['复古', 'Vintage']], SIZES),
    ],
    brands: [b('peacebird', '太平鸟', 'Peacebird'), b('urbanrevivo', 'UR', 'Urban Revivo'), b('ochirly', '欧时力', 'Ochirly'), b('vero', '维莎', 'Vero Moda'), b('handu', '韩都衣舍', 'Handu')],
  },
  {
    id: 'casual', zh: '休闲服', en: 'Casual Wear', mods: ['plus-size', 'new', 'y2024'],
    kinds: [
      k('hoodie', '卫衣', ['Hoodie', 'Oversized Hoodie', 'Hooded Sweatshirt'], [['连帽', 'Hooded'], ['加绒', 'Fleece-Lined'], ['宽松', 'Oversized'], ['情侣', 'Couple']], SIZES),
      k('tshirt', 'T恤', ['T-Shirt', 'Cotton Tee'], [['纯棉', 'Cotton'], ['短袖', 'Short Sleeve'], ['印花', 'Printed']], SIZES),
      k('down-jacket', '羽绒服', ['Down Jacket', 'Puffer Jacket'], [['轻薄', 'Lightweight'], ['加厚', 'Thick'], ['长款', 'Long']], SIZES),
      k('jeans', '牛仔裤', ['Jeans', 'Denim Jeans', 'Straight Jeans'], [['直筒', 'Straight'], ['阔腿', 'Wide-Leg'], ['修身', 'Slim Fit']], ['26', '27', '28', '29', '30', '31']),
      k('yoga-pants', '瑜伽裤', ['Yoga Pants', 'Leggings'], [['高腰', 'High-Waist'], ['鲨鱼', 'Shark'], ['速干', 'Quick-Dry']], SIZES),
    ],
    brands: [b('uniqlo', '优衣库', 'Uniqlo'), b('semir', '森马', 'Semir'), b('bosideng', '波司登', 'Bosideng', { kinds: ['down-jacket'] }), b('lining', '李宁', 'Li Ning'), b('anta', '安踏', 'Anta'), b('levis', '李维斯', "Levi's", { kinds: ['jeans', 'tshirt'] })],
  },
  {
    id: 'shoes', zh: '鞋靴', en: 'Shoes', mods: ['new', 'y2024'],
    kinds: [
      k('running-shoes', '跑步鞋', ['Running Shoes', 'Running Sneakers'], [['缓震', 'Cushioned'], ['透气', 'Breathable'], ['轻便', 'Lightweight']], ['38', '39', '40', '41', '42', '43']),
      k('canvas-shoes', '帆布鞋', ['Canvas Shoes', 'Canvas Sneakers'], [['高帮', 'High-Top'], ['低帮', 'Low-Top'], ['小白鞋', 'White']], ['35', '36', '37', '38', '39', '40']),
      k('heels', '高跟鞋', ['High Heels', 'Pumps'], [['尖头', 'Pointed'], ['细跟', 'Stiletto'], ['粗跟', 'Block Heel']], ['35', '36', '37', '38']),
      k('slippers', '拖鞋', ['Slippers', 'House Slippers'], [['居家', 'Home'], ['防滑', 'Non-Slip'], ['棉', 'Cotton']], ['36-37', '38-39', '40-41']),
    ],
    brands: [b('nike', '耐克', 'Nike'), b('adidas', '阿迪达斯', 'Adidas'), b('lining', '李宁', 'Li Ning'), b('anta', '安踏', 'Anta'), b('warrior', '回力', 'Warrior'), b('xtep', '特步', 'Xtep')],
  },
  {
    id: 'bags', zh: '箱包', en: 'Bags',
    kinds: [
      k('backpack', '双肩包', ['Backpack', 'Laptop Backpack'], [['大容量', 'Large'], ['防水', 'Waterproof'], ['通勤', 'Commuter']], ['15.6英寸', '20L']),
      k('suitcase', '行李箱', ['Suitcase', 'Luggage', 'Carry-On Suitcase'], [['万向轮', 'Spinner'], ['铝框', 'Aluminum Frame'], ['静音', 'Silent']], ['20寸', '24寸', '28寸']),
      k('tote', '托特包', ['Tote Bag', 'Canvas Tote'], [['帆布', 'Canvas'], ['大容量', 'Large'], ['通勤', 'Commuter']], ['1个']),
    ],
    brands: [b('samsonite', '新秀丽', 'Samsonite'), b('xiaomi', '小米', 'Xiaomi', { kinds: ['backpack', 'suitcase'] }), b('coach', '蔻驰', 'Coach', { kinds: ['tote'] }), b('diplomat', '外交官', 'Diplomat', { kinds: ['suitcase'] })],
  },
  {
    id: 'snacks', zh: '零食', en: 'Snacks', mods: ['gift', 'free-ship'],
    kinds: [
      k('nuts', '坚果', ['Mixed Nuts', 'Daily Nuts'], [['每日', 'Daily'], ['混合', 'Mixed'], ['原味', 'Original']], ['750g', '30包', '500g'], { after: ['礼包'] }),
      k('jerky', '牛肉干', ['Beef Jerky', 'Dried Beef'], [['风干', 'Air-Dried'], ['麻辣', 'Spicy'], ['手撕', 'Shredded']], ['250g', '500g'], { origins: [['内蒙古', 'Inner Mongolia']] }),
      k('chips', '薯片', ['Potato Chips', 'Crisps'], [['原味', 'Original'], ['黄瓜味', 'Cucumber'], ['烧烤味', 'BBQ']], ['70g×6', '135g']),
      k('spicy-strips', '辣条', ['Spicy Gluten Strips', 'Latiao'], [['麻辣', 'Spicy'], ['大面筋', 'Big']], ['106g×10', '500g']),
      k('cookies', '饼干', ['Cookies', 'Biscuits'], [['曲奇', 'Butter'], ['苏打', 'Soda'], ['夹心', 'Sandwich']], ['500g', '1kg']),
      k('chocolate', '巧克力', ['Chocolate', 'Dark Chocolate'], [['黑', 'Dark'], ['牛奶', 'Milk'], ['榛子', 'Hazelnut']], ['252g', '100g']),
    ],
    brands: [b('threesquirrels', '三只松鼠', 'Three Squirrels'), b('bestore', '良品铺子', 'Bestore'), b('baicaowei', '百草味', 'Baicaowei'), b('weilong', '卫龙', 'Weilong', { kinds: ['spicy-strips'] }), b('lays', '乐事', "Lay's", { kinds: ['chips'] }), b('dove', '德芙', 'Dove', { kinds: ['chocolate'] })],
  },
  {
    id: 'drinks', zh: '饮品', en: 'Drinks', mods: ['gift', 'free-ship'],
    kinds: [
      k('coffee', '咖啡', ['Coffee', 'Instant Coffee', 'Coffee Beans'], [['速溶', 'Instant'], ['冻干', 'Freeze-Dried'], ['美式', 'Americano'], ['挂耳', 'Drip Bag']], ['30条', '500g', '24颗']),
      k('milk', '纯牛奶', ['Whole Milk', 'Pure Milk'], [['全脂', 'Whole'], ['高钙', 'High-Calcium'], ['有机', 'Organic']], ['250ml×24盒', '200ml×12盒']),
      k('yogurt', '酸奶', ['Yogurt', 'Greek Yogurt'], [['希腊', 'Greek'], ['低温', 'Chilled'], ['无糖', 'Sugar-Free']], ['200g×10瓶']),
    ],
    brands: [b('nestle', '雀巢', 'Nestle', { kinds: ['coffee'] }), b('saturnbird', '三顿半', 'Saturnbird', { kinds: ['coffee'] }), b('yili', '伊利', 'Yili', { kinds: ['milk', 'yogurt'] }), b('mengniu', '蒙牛', 'Mengniu', { kinds: ['milk', 'yogurt'] })],
  },
  {
    id: 'fruit', zh: '生鲜水果', en: 'Fresh Fruit', mods: ['free-ship', 'gift'],
    kinds: [
      k('kiwi', '猕猴桃', ['Kiwi Fruit', 'Kiwifruit'], [['红心', 'Red-Heart'], ['徐香', 'Xuxiang'], ['当季', 'Seasonal']], ['5斤', '3斤'], { origins: [['陕西', 'Shaanxi'], ['周至', 'Zhouzhi']] }),
      k('cherries', '车厘子', ['Cherries', 'Chilean Cherries'], [['JJ级', 'JJ Grade'], ['新鲜', 'Fresh']], ['2斤', '5斤'], { origins: [['智利', 'Chile'], ['烟台', 'Yantai']] }),
      k('mango', '芒果', ['Mango', 'Fresh Mango'], [['贵妃', 'Guifei'], ['大果', 'Large']], ['5斤', '10斤'], { origins: [['海南', 'Hainan'], ['攀枝花', 'Panzhihua']] }),
    ],
    brands: [b('zespri', '佳沛', 'Zespri', { kinds: ['kiwi'] }), b('orchard', '果园直发', 'Orchard Direct')],
  },
  {
    id: 'baby', zh: '母婴', en: 'Baby', mods: ['genuine', 'free-ship'],
    kinds: [
      k('diapers', '纸尿裤', ['Diapers', 'Baby Diapers', 'Nappies'], [['超薄', 'Ultra-Thin'], ['透气', 'Breathable'], ['拉拉裤', 'Pull-Up']], ['NB码', 'S码', 'M码', 'L码', 'XL码']),
      k('formula', '婴儿奶粉', ['Infant Formula', 'Baby Formula Milk'], [['1段', 'Stage 1'], ['2段', 'Stage 2'], ['3段', 'Stage 3']], ['800g', '900g']),
      k('baby-bottle', '奶瓶', ['Baby Bottle', 'Feeding Bottle'], [['宽口径', 'Wide-Neck'], ['玻璃', 'Glass'], ['防胀气', 'Anti-Colic']], ['160ml', '240ml']),
      k('stroller', '婴儿推车', ['Baby Stroller', 'Pram'], [['轻便', 'Lightweight'], ['可坐可躺', 'Reclining'], ['折叠', 'Foldable']], ['1台']),
    ],
    brands: [b('pampers', '帮宝适', 'Pampers', { kinds: ['diapers'] }), b('merries', '花王', 'Merries', { kinds: ['diapers'] }), b('huggies', '好奇', 'Huggies', { kinds: ['diapers'] }), b('feihe', '飞鹤', 'Feihe', { kinds: ['formula'] }), b('pigeon', '贝亲', 'Pigeon', { kinds: ['baby-bottle'] }), b('goodbaby', '好孩子', 'Goodbaby', { kinds: ['stroller', 'baby-bottle'] })],
  },
  {
    id: 'toys', zh: '玩具', en: 'Toys', mods: ['gift'],
    kinds: [
      k('blocks', '积木', ['Building Blocks', 'Brick Set'], [['拼装', 'Assembly'], ['益智', 'Educational'], ['城市', 'City']], ['500颗粒', '1000颗粒']),
      k('plush', '毛绒玩具', ['Plush Toy', 'Stuffed Animal'], [['可爱', 'Cute'], ['大号', 'Large'], ['安抚', 'Comfort']], ['30cm', '60cm']),
      k('rc-car', '遥控车', ['RC Car', 'Remote Control Car'], [['越野', 'Off-Road'], ['高速', 'High-Speed']], ['1:16', '1:24']),
    ],
    brands: [b('lego', '乐高', 'LEGO', { kinds: ['blocks'] }), b('keeppley', '奇妙', 'Keeppley', { kinds: ['blocks'] }), b('jellycat', 'Jellycat', 'Jellycat', { kinds: ['plush'] }), b('popmart', '泡泡玛特', 'Pop Mart', { kinds: ['plush'] })],
  },
  {
    id: 'cookware', zh: '厨具', en: 'Cookware',
    kinds: [
      k('wok', '炒锅', ['Wok', 'Non-Stick Wok'], [['不粘', 'Non-Stick'], ['铁', 'Iron'], ['麦饭石', 'Stone']], ['32cm', '30cm']),
      k('knife', '菜刀', ['Kitchen Knife', 'Chef Knife'], [['不锈钢', 'Stainless Steel'], ['切片', 'Slicing'], ['锻打', 'Forged']], ['1把', '套装']),
      k('flask', '保温杯', ['Vacuum Flask', 'Insulated Water Bottle', 'Thermos Cup'], [['316不锈钢', '316 Stainless'], ['大容量', 'Large'], ['便携', 'Portable']], ['500ml', '350ml', '1L']),
      k('lunchbox', '饭盒', ['Lunch Box', 'Bento Box'], [['微波炉', 'Microwave-Safe'], ['分格', 'Compartment'], ['保温', 'Insulated']], ['1个', '3层']),
    ],
    brands: [b('supor', '苏泊尔', 'Supor'), b('zhangxiaoquan', '张小泉', 'Zhang Xiaoquan', { kinds: ['knife'] }), b('thermos', '膳魔师', 'Thermos', { kinds: ['flask', 'lunchbox'] }), b('zojirushi', '象印', 'Zojirushi', { kinds: ['flask', 'lunchbox'] }), b('cooker-king', '炊大皇', 'Cooker King', { kinds: ['wok', 'knife'] })],
  },
  {
    id: 'kitchen-appliances', zh: '厨房电器', en: 'Kitchen Appliances',
    kinds: [
      k('rice-cooker', '电饭煲', ['Rice Cooker', 'Smart Rice Cooker'], [['智能', 'Smart'], ['球釜', 'Ball Pot'], ['迷你', 'Mini']], ['3L', '4L', '5L']),
      k('air-fryer', '空气炸锅', ['Air Fryer'], [['可视', 'Visible'], ['大容量', 'Large'], ['无油', 'Oil-Free']], ['5L', '6L']),
      k('kettle', '电热水壶', ['Electric Kettle'], [['304不锈钢', '304 Stainless'], ['恒温', 'Temperature Control']], ['1.7L', '1.5L']),
      k('blender', '破壁机', ['Blender', 'High-Speed Blender'], [['静音', 'Quiet'], ['加热', 'Heating']], ['1.75L']),
    ],
    brands: [b('midea', '美的', 'Midea'), b('joyoung', '九阳', 'Joyoung'), b('supor', '苏泊尔', 'Supor'), b('bear', '小熊', 'Bear'), b('xiaomi', '小米', 'Xiaomi', { lines: ['米家'] })],
  },
  {
    id: 'home-appliances', zh: '家电', en: 'Home Appliances',
    kinds: [
      k('hair-dryer', '吹风机', ['Hair Dryer', 'Ionic Hair Dryer'], [['负离子', 'Ionic'], ['大功率', 'High-Power'], ['静音', 'Quiet']], ['1800W', '2000W']),
      k('robot-vacuum', '扫地机器人', ['Robot Vacuum', 'Robot Vacuum Cleaner'], [['扫拖一体', 'Mop'], ['自动集尘', 'Self-Emptying'], ['激光导航', 'Lidar']], ['1台']),
      k('humidifier', '加湿器', ['Humidifier', 'Air Humidifier'], [['大雾量', 'Large Mist'], ['静音', 'Quiet'], ['卧室', 'Bedroom']], ['4L', '3L']),
    ],
    brands: [b('dyson', '戴森', 'Dyson'), b('xiaomi', '小米', 'Xiaomi', { lines: ['米家'] }), b('ecovacs', '科沃斯', 'Ecovacs', { kinds: ['robot-vacuum'] }), b('roborock', '石头', 'Roborock', { kinds: ['robot-vacuum'] }), b('midea', '美的', 'Midea'), b('philips', '飞利浦', 'Philips')],
  },
  {
    id: 'pets', zh: '宠物', en: 'Pets', mods: ['free-ship'],
    kinds: [
      k('cat-food', '猫粮', ['Cat Food', 'Dry Cat Food'], [['全价', 'Complete'], ['无谷', 'Grain-Free'], ['幼猫', 'Kitten'], ['成猫', 'Adult']], ['2kg', '10kg', '1.5kg']),
      k('dog-food', '狗粮', ['Dog Food', 'Dry Dog Food'], [['全价', 'Complete'], ['幼犬', 'Puppy'], ['成犬', 'Adult'], ['小型犬', 'Small Breed']], ['2kg', '10kg', '15kg']),
      k('cat-litter', '猫砂', ['Cat Litter', 'Tofu Cat Litter'], [['豆腐', 'Tofu'], ['膨润土', 'Bentonite'], ['混合', 'Mixed']], ['6L', '10kg']),
      k('pet-bed', '宠物窝', ['Pet Bed', 'Cat Bed'], [['四季通用', 'All-Season'], ['可拆洗', 'Washable'], ['保暖', 'Warm']], ['S', 'M', 'L']),
    ],
    brands: [b('royalcanin', '皇家', 'Royal Canin', { kinds: ['cat-food', 'dog-food'] }), b('orijen', '渴望', 'Orijen', { kinds: ['cat-food', 'dog-food'] }), b('myfoodie', '麦富迪', 'Myfoodie', { kinds: ['cat-food', 'dog-food'] }), b('pidan', '小佩', 'Petkit'), b('navarch', '耐威克', 'Navarch')],
  },
  {
    id: 'fitness', zh: '运动健身', en: 'Fitness',
    kinds: [
      k('yoga-mat', '瑜伽垫', ['Yoga Mat', 'Non-Slip Yoga Mat'], [['加厚', 'Thick'], ['防滑', 'Non-Slip'], ['TPE', 'TPE']], ['6mm', '8mm', '10mm']),
      k('jump-rope', '跳绳', ['Jump Rope', 'Skipping Rope'], [['计数', 'Counting'], ['无绳', 'Cordless'], ['钢丝', 'Steel Wire']], ['1根']),
      k('dumbbells', '哑铃', ['Dumbbells', 'Adjustable Dumbbells'], [['可调节', 'Adjustable'], ['包胶', 'Rubber-Coated']], ['5kg', '10kg', '20kg']),
      k('badminton-racket', '羽毛球拍', ['Badminton Racket'], [['全碳素', 'Carbon'], ['超轻', 'Ultralight'], ['进攻型', 'Offensive']], ['1支', '2支装']),
    ],
    brands: [b('decathlon', '迪卡侬', 'Decathlon'), b('keep', 'Keep', 'Keep'), b('yonex', '尤尼克斯', 'Yonex', { kinds: ['badminton-racket'] }), b('lining', '李宁', 'Li Ning')],
  },
  {
    id: 'outdoor', zh: '户外', en: 'Outdoor',
    kinds: [
      k('tent', '帐篷', ['Camping Tent', 'Tent'], [['自动', 'Instant'], ['防雨', 'Rainproof'], ['双层', 'Double-Layer']], ['3-4人', '2人']),
      k('camping-chair', '折叠椅', ['Folding Chair', 'Camping Chair'], [['便携', 'Portable'], ['月亮', 'Moon'], ['克米特', 'Kermit']], ['1把']),
      k('trekking-poles', '登山杖', ['Trekking Poles', 'Hiking Poles'], [['碳纤维', 'Carbon Fiber'], ['伸缩', 'Telescopic']], ['1对']),
    ],
    brands: [b('naturehike', '挪客', 'Naturehike'), b('decathlon', '迪卡侬', 'Decathlon'), b('mobigarden', '牧高笛', 'Mobi Garden'), b('kailas', '凯乐石', 'Kailas')],
  },
  {
    id: 'bedding', zh: '家纺', en: 'Bedding',
    kinds: [
      k('bedding-set', '四件套', ['Bedding Set', 'Duvet Cover Set'], [['纯棉', 'Cotton'], ['全棉', 'Pure Cotton'], ['水洗棉', 'Washed Cotton'], ['简约', 'Minimalist']], ['1.5m床', '1.8m床']),
      k('pillow', '枕头', ['Pillow', 'Memory Foam Pillow'], [['记忆棉', 'Memory Foam'], ['乳胶', 'Latex'], ['护颈', 'Neck Support']], ['1只', '一对']),
      k('duvet', '被子', ['Duvet', 'Comforter', 'Quilt'], [['冬季', 'Winter'], ['蚕丝', 'Silk'], ['加厚', 'Thick']], ['200×230cm', '150×200cm']),
    ],
    brands: [b('fuanna', '富安娜', 'Fuanna'), b('mercury', '水星家纺', 'Mercury'), b('luolai', '罗莱', 'Luolai'), b('muji', '无印良品', 'MUJI')],
  },
  {
    id: 'cleaning', zh: '家清', en: 'Household Cleaning', mods: ['free-ship'],
    kinds: [
      k('detergent', '洗衣液', ['Laundry Detergent', 'Liquid Detergent'], [['持久留香', 'Long-Lasting Scent'], ['除菌', 'Antibacterial'], ['浓缩', 'Concentrated']], ['2kg', '3kg×2瓶']),
      k('tissues', '抽纸', ['Facial Tissues', 'Tissue Paper'], [['原木', 'Virgin Wood'], ['加厚', 'Thick'], ['柔软', 'Soft']], ['24包', '12包']),
      k('dish-soap', '洗洁精', ['Dish Soap', 'Dishwashing Liquid'], [['食品级', 'Food-Grade'], ['柠檬', 'Lemon']], ['1.29kg', '500g']),
    ],
    brands: [b('bluemoon', '蓝月亮', 'Blue Moon'), b('liby', '立白', 'Liby'), b('vinda', '维达', 'Vinda', { kinds: ['tissues'] }), b('qingfeng', '清风', 'Breeze', { kinds: ['tissues'] }), b('ariel', '碧浪', 'Ariel', { kinds: ['detergent'] })],
  },
  {
    id: 'personal-care', zh: '个护', en: 'Personal Care', mods: ['genuine'],
    kinds: [
      k('toothbrush', '电动牙刷', ['Electric Toothbrush', 'Sonic Toothbrush'], [['声波', 'Sonic'], ['软毛', 'Soft'], ['情侣', 'Couple']], ['1支', '送刷头']),
      k('toothpaste', '牙膏', ['Toothpaste', 'Whitening Toothpaste'], [['美白', 'Whitening'], ['清新', 'Fresh'], ['护龈', 'Gum Care']], ['120g', '3支装']),
      k('body-wash', '沐浴露', ['Body Wash', 'Shower Gel'], [['香氛', 'Fragrance'], ['保湿', 'Moisturizing'], ['持久留香', 'Long-Lasting']], ['750ml', '1L']),
    ],
    brands: [b('philips', '飞利浦', 'Philips', { kinds: ['toothbrush'] }), b('oralb', '欧乐B', 'Oral-B', { kinds: ['toothbrush'] }), b('usmile', '素士', 'Soocas'), b('yunnanbaiyao', '云南白药', 'Yunnan Baiyao', { kinds: ['toothpaste'] }), b('darlie', '好来', 'Darlie', { kinds: ['toothpaste'] }), b('dove-care', '多芬', 'Dove', { kinds: ['body-wash'] })],
  },
  {
    id: 'hair-care', zh: '洗护发', en: 'Hair Care', mods: ['genuine'],
    kinds: [
      k('shampoo', '洗发水', ['Shampoo', 'Anti-Dandruff Shampoo'], [['去屑', 'Anti-Dandruff'], ['控油', 'Oil Control'], ['蓬松', 'Volumizing'], ['无硅油', 'Silicone-Free']], ['500ml', '750ml', '400ml']),
      k('conditioner', '护发素', ['Conditioner', 'Hair Conditioner'], [['柔顺', 'Smoothing'], ['修护', 'Repair']], ['500ml', '400ml']),
      k('hair-oil', '护发精油', ['Hair Oil', 'Argan Hair Oil'], [['免洗', 'Leave-In'], ['摩洛哥', 'Moroccan']], ['100ml', '50ml']),
    ],
    brands: [b('headshoulders', '海飞丝', 'Head & Shoulders'), b('pantene', '潘婷', 'Pantene'), b('seeyoung', '滋源', 'Seeyoung'), b('schwarzkopf', '施华蔻', 'Schwarzkopf'), b('moroccanoil', '摩洛哥油', 'Moroccanoil', { kinds: ['hair-oil'] })],
  },
  {
    id: 'jewellery', zh: '珠宝饰品', en: 'Jewellery', mods: ['gift'],
    kinds: [
      k('necklace', '项链', ['Necklace', 'Pendant Necklace'], [['锁骨链', 'Collarbone'], ['925银', '925 Silver'], ['珍珠', 'Pearl']], ['45cm', '40cm']),
      k('bracelet', '手链', ['Bracelet', 'Charm Bracelet'], [['转运珠', 'Lucky Bead'], ['黄金', 'Gold'], ['编织', 'Braided']], ['16cm', '18cm']),
      k('earrings', '耳环', ['Earrings', 'Stud Earrings'], [['耳钉', 'Stud'], ['珍珠', 'Pearl'], ['气质', 'Elegant']], ['1对']),
    ],
    brands: [b('chowtaifook', '周大福', 'Chow Tai Fook'), b('chowsangsang', '周生生', 'Chow Sang Sang'), b('swarovski', '施华洛世奇', 'Swarovski'), b('pandora', '潘多拉', 'Pandora')],
  },
  {
    id: 'stationery', zh: '文具', en: 'Stationery',
    kinds: [
      k('fountain-pen', '钢笔', ['Fountain Pen'], [['练字', 'Calligraphy'], ['EF尖', 'EF Nib'], ['学生', 'Student']], ['1支', '礼盒']),
      k('notebook', '笔记本', ['Notebook', 'Journal Notebook'], [['A5', 'A5'], ['加厚', 'Thick'], ['牛皮纸', 'Kraft']], ['4本', '1本']),
      k('gel-pen', '中性笔', ['Gel Pen', 'Gel Ink Pen'], [['0.5mm', '0.5mm'], ['速干', 'Quick-Dry'], ['按动', 'Retractable']], ['12支', '24支']),
    ],
    brands: [b('hero', '英雄', 'Hero', { kinds: ['fountain-pen'] }), b('deli', '得力', 'Deli'), b('mg', '晨光', 'M&G'), b('lamy', '凌美', 'LAMY', { kinds: ['fountain-pen'] })],
  },
  {
    id: 'car', zh: '汽车用品', en: 'Car Accessories',
    kinds: [
      k('dash-cam', '行车记录仪', ['Dash Cam', 'Car DVR'], [['高清', 'HD'], ['夜视', 'Night Vision'], ['前后双录', 'Front & Rear']], ['4K', '1080P']),
      k('car-freshener', '车载香薰', ['Car Air Freshener', 'Car Diffuser'], [['出风口', 'Vent Clip'], ['持久', 'Long-Lasting']], ['1个']),
      k('seat-cushion', '汽车坐垫', ['Car Seat Cushion', 'Seat Cover'], [['四季通用', 'All-Season'], ['冰丝', 'Ice Silk'], ['全包围', 'Full Surround']], ['5座']),
    ],
    brands: [b('70mai', '70迈', '70mai', { kinds: ['dash-cam'] }), b('ddpai', '盯盯拍', 'DDPai', { kinds: ['dash-cam'] }), b('carori', '卡饰社', 'Carori')],
  },
  {
    id: 'health', zh: '滋补保健', en: 'Health Foods', mods: ['gift', 'organic'],
    kinds: [
      k('goji', '枸杞', ['Goji Berries', 'Dried Goji Berries'], [['头茬', 'First-Harvest'], ['免洗', 'Ready-to-Eat'], ['黑', 'Black']], ['500g', '250g'], { origins: [['宁夏', 'Ningxia'], ['中宁', 'Zhongning']] }),
      k('honey', '蜂蜜', ['Honey', 'Raw Honey'], [['土', 'Wild'], ['槐花', 'Acacia'], ['百花', 'Wildflower']], ['500g', '1kg']),
      k('bird-nest', '燕窝', ['Bird’s Nest', 'Edible Bird’s Nest'], [['即食', 'Ready-to-Eat'], ['干', 'Dried'], ['孕妇', 'Maternity']], ['6瓶', '50g']),
      k('red-dates', '红枣', ['Red Dates', 'Jujube'], [['若羌', 'Ruoqiang'], ['特级', 'Premium']], ['1kg', '500g'], { origins: [['新疆', 'Xinjiang'], ['和田', 'Hotan']] }),
    ],
    brands: [b('tongrentang', '同仁堂', 'Tong Ren Tang'), b('cofco', '中粮', 'COFCO'), b('yanzhiwu', '燕之屋', 'Yanzhiwu', { kinds: ['bird-nest'] }), b('wanglaoji', '王老吉', 'Wong Lo Kat', { kinds: ['honey', 'red-dates'] })],
  },
  {
    id: 'liquor', zh: '酒水', en: 'Liquor', mods: ['gift', 'genuine'],
    kinds: [
      k('baijiu', '白酒', ['Baijiu', 'Chinese Liquor'], [['酱香型', 'Sauce-Aroma'], ['浓香型', 'Strong-Aroma'], ['53度', '53%']], ['500ml', '500ml×6瓶']),
      k('huangjiu', '黄酒', ['Shaoxing Rice Wine', 'Huangjiu'], [['花雕', 'Huadiao'], ['五年陈', '5-Year'], ['加饭', 'Jiafan']], ['500ml', '2.5L'], { origins: [['绍兴', 'Shaoxing']] }),
      k('red-wine', '红酒', ['Red Wine', 'Dry Red Wine'], [['干红', 'Dry Red'], ['赤霞珠', 'Cabernet Sauvignon']], ['750ml', '750ml×6瓶'], { origins: [['法国', 'France'], ['宁夏', 'Ningxia']] }),
    ],
    brands: [b('moutai', '茅台', 'Moutai', { kinds: ['baijiu'] }), b('wuliangye', '五粮液', 'Wuliangye', { kinds: ['baijiu'] }), b('guyuelongshan', '古越龙山', 'Guyue Longshan', { kinds: ['huangjiu'] }), b('changyu', '张裕', 'Changyu', { kinds: ['red-wine'] }), b('lafite', '拉菲', 'Lafite', { kinds: ['red-wine'] })],
  },
  {
    id: 'computer', zh: '电脑办公', en: 'Computers',
    kinds: [
      k('keyboard', '机械键盘', ['Mechanical Keyboard', 'Gaming Keyboard'], [['青轴', 'Blue Switch'], ['茶轴', 'Brown Switch'], ['无线', 'Wireless']], ['87键', '104键']),
      k('mouse', '鼠标', ['Mouse', 'Wireless Mouse'], [['无线', 'Wireless'], ['静音', 'Silent'], ['电竞', 'Gaming']], ['1个']),
      k('monitor', '显示器', ['Monitor', 'Gaming Monitor'], [['4K', '4K'], ['高刷', '144Hz'], ['护眼', 'Eye-Care']], ['27英寸', '24英寸']),
    ],
    brands: [b('logitech', '罗技', 'Logitech'), b('razer', '雷蛇', 'Razer', { kinds: ['keyboard', 'mouse'] }), b('dell', '戴尔', 'Dell', { kinds: ['monitor', 'mouse', 'keyboard'] }), b('aoc', 'AOC', 'AOC', { kinds: ['monitor'] }), b('huawei', '华为', 'Huawei', { kinds: ['monitor', 'mouse'] })],
  },
];

/** Modifiers shops put in titles; `where` limits one to some categories (via Category.mods), general ones go anywhere. */
const MODS: Record<string, { zh: string; en: string; pos: 'pre' | 'post'; p: number; general?: boolean }> = {
  new: { zh: '新款', en: 'New', pos: 'pre', p: 0.2, general: true },
  y2024: { zh: '2024新款', en: '2024 New', pos: 'pre', p: 0.15 },
  'free-ship': { zh: '包邮', en: 'Free Shipping', pos: 'post', p: 0.25, general: true },
  genuine: { zh: '正品', en: 'Authentic', pos: 'pre', p: 0.2 },
  gift: { zh: '礼盒装', en: 'Gift Box', pos: 'post', p: 0.3 },
  mingqian: { zh: '明前', en: 'Pre-Qingming', pos: 'pre', p: 0.3 },
  organic: { zh: '有机', en: 'Organic', pos: 'pre', p: 0.15 },
  'plus-size': { zh: '大码', en: 'Plus Size', pos: 'post', p: 0.15 },
  hot: { zh: '爆款', en: 'Bestseller', pos: 'pre', p: 0.08, general: true },
  official: { zh: '官方旗舰', en: 'Official Store', pos: 'pre', p: 0.06, general: true },
};

export type TitleLanguage = 'zh' | 'zh-Hant' | 'en' | 'bilingual';

/** What a generated product is: everything a relevance label may test. */
export interface ProductTruth {
  index: number;
  id: string;
  shopId: string;
  category: string;
  kind: string;
  brand: string | null;
  /** Descriptor words (their Chinese form) in the product's title. */
  desc: string[];
  origin: string | null;
  /** The product line, or the phone model an accessory fits (Mate 60). */
  line: string | null;
  mods: string[];
  lang: TitleLanguage;
  title: string;
  description: string;
}

export interface ShopTruth {
  index: number;
  id: string;
  ownerId: string;
  name: string;
  lang: TitleLanguage;
  categories: string[];
}

/** A seed gives the same catalogue everywhere (mulberry32). */
const rng = (seed: number): (() => number) => seededRandom(seed);
const mix = (seed: number, i: number, salt: number) => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35) ^ Math.imul(salt, 0x27d4eb2f)) >>> 0;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const chance = (r: () => number, p: number) => r() < p;
function shuffled<T>(r: () => number, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const toTraditional = OpenCC.Converter({ from: 'cn', to: 'tw' });
const CATEGORY = new Map(CATEGORIES.map((c) => [c.id, c]));
const SHOP_SUFFIX: readonly Phrase[] = [['旗舰店', 'Flagship Store'], ['专营店', 'Store'], ['官方店', 'Official'], ['小铺', 'Shop'], ['优选', 'Select'], ['工厂店', 'Factory Store']];
const SHOP_PLACES = ['杭州', '广州', '义乌', '深圳', '上海', '成都', '厦门', '苏州', '台北', '香港'];

export const SHOP_ID = (i: number) => `srs${String(i).padStart(6, '0')}`;
export const PRODUCT_ID = (i: number) => `srp${String(i).padStart(7, '0')}`;
const OWNER_ID = (i: number) => `sru${String(i).padStart(6, '0')}`;

/** A shop: what it sells (one or two categories) and how it writes: most in simplified Chinese, some cross-border
 * shops in English or both, a few (Taiwan, Hong Kong) in traditional characters. */
export function generateShop(seed: number, i: number): ShopTruth {
  const r = rng(mix(seed, i, 1));
  const x = r();
  const lang: TitleLanguage = x < 0.77 ? 'zh' : x < 0.8 ? 'zh-Hant' : x < 0.9 ? 'bilingual' : 'en';
  const first = pick(r, CATEGORIES);
  const categories = chance(r, 0.3) ? [first.id, pick(r, CATEGORIES).id] : [first.id];
  const suffix = pick(r, SHOP_SUFFIX);
  const name =
    lang === 'en' ? `${pick(r, ['Panda', 'Lotus', 'Jade', 'Silk Road', 'Orient', 'Bamboo'])} ${first.en} ${suffix[1]}`
    : lang === 'zh-Hant' ? toTraditional(`${pick(r, SHOP_PLACES)}${first.zh}${suffix[0]}`)
    : `${pick(r, SHOP_PLACES)}${pick(r, ['好物', '优品', '严选', '生活', '小店', ''])}${first.zh}${suffix[0]}`;
  return { index: i, id: SHOP_ID(i), ownerId: OWNER_ID(i), name, lang, categories };
}

/** Number of shops for a catalogue of n products: one per 20 products, at least 50. */
export const shopsFor = (products: number) => Math.max(50, Math.ceil(products / 20));

/** Product i of the catalogue (its shop picked among `shops`); the same (seed, i, shops) gives the same product. */
export function generateProduct(seed: number, i: number, shops: readonly ShopTruth[]): ProductTruth {
  const r = rng(mix(seed, i, 2));
  const shop = shops[Math.floor(r() * shops.length)];
  const category = CATEGORY.get(pick(r, shop.categories))!;
  const kind = pick(r, category.kinds);
  const brands = category.brands.filter((x) => !x.kinds || x.kinds.includes(kind.id));
  const brand = brands.length > 0 && chance(r, 0.75) ? pick(r, brands) : null;
  const line = brand?.lines && chance(r, brand.id in PHONES ? 0.9 : 0.5) ? pick(r, brand.lines) : null;
  const descs = shuffled(r, kind.desc).slice(0, chance(r, 0.4) ? 2 : chance(r, 0.7) ? 1 : 0);
  const origin = kind.origins && chance(r, 0.5) ? pick(r, kind.origins) : null;
  const mods = Object.entries(MODS)
    .filter(([id, m]) => (m.general || category.mods?.includes(id)) && chance(r, m.p))
    .map(([id]) => id)
    .filter((id, _, all) => !(id === 'new' && all.includes('y2024')));
  const spec = pick(r, kind.specs);
  const after = kind.after && chance(r, 0.5) ? pick(r, kind.after) : '';
  // A shop mostly writes in its own way; some Chinese shops add an English name (bilingual), some bilingual ones not.
  const lang: TitleLanguage = shop.lang === 'zh' && chance(r, 0.06) ? 'bilingual' : shop.lang === 'bilingual' && chance(r, 0.3) ? 'zh' : shop.lang;
  const enName = pick(r, kind.en);

  const brandZh = brand ? (brand.zh === brand.en || !chance(r, 0.25) ? brand.zh : chance(r, 0.5) ? `${brand.en}${brand.zh}` : brand.en) : '';
  const pre = mods.filter((m) => MODS[m].pos === 'pre');
  const post = mods.filter((m) => MODS[m].pos === 'post');
  // Descriptors are glued to the product word in most titles (保湿面霜), as Chinese titles are written.
  const glue = chance(r, 0.6) ? '' : ' ';
  const zhParts = [
    pre.map((m) => MODS[m].zh).join(''),
    brandZh,
    line ?? '',
    `${descs.map((d) => d[0]).join('')}${glue}${origin?.[0] ?? ''}${kind.zh}${after}`.trim(),
    spec,
    post.map((m) => MODS[m].zh).join(' '),
  ].filter(Boolean);
  const zhTitle = zhParts.join(chance(r, 0.5) ? ' ' : '').replace(/\s+/g, ' ');
  const enParts = [
    ...pre.map((m) => MODS[m].en),
    brand?.en ?? '',
    line && /^[\x20-\x7e]+$/.test(line) ? line : '',
    ...descs.map((d) => d[1]).filter((d) => !enName.includes(d)),
    origin && !enName.includes(origin[1]) ? origin[1] : '',
    enName,
    /^[\x20-\x7e]+$/.test(spec) ? spec : '',
    ...post.map((m) => MODS[m].en),
  ].filter(Boolean);
  const enTitle = enParts.join(' ');
  const title =
    lang === 'en' ? enTitle
    : lang === 'bilingual' ? `${zhTitle} ${[brand?.en ?? '', enName].filter(Boolean).join(' ')}`
    : lang === 'zh-Hant' ? toTraditional(zhTitle)
    : zhTitle;

  // The description: what it is, its features, sometimes what goes with it (another product word of the category:
  // a search should rank a title hit above it), and hashtags as shops write tags.
  const other = category.kinds.filter((x) => x.id !== kind.id);
  const pairWith = other.length > 0 && chance(r, 0.25) ? pick(r, other) : null;
  const descZh = [
    `${brand ? `${brand.zh}` : ''}${kind.zh}，${descs.length ? descs.map((d) => d[0]).join('、') : '品质优选'}。`,
    origin ? `产地${origin[0]}，` : '',
    pick(r, ['七天无理由退换。', '顺丰发货，破损包赔。', '店铺热销，回购率高。', '厂家直供，品质保证。']),
    pairWith ? `搭配${pairWith.zh}使用效果更好。` : '',
    `\n#${category.zh} #${kind.zh}${descs[0] ? ` #${descs[0][0]}` : ''}`,
  ].join('');
  const descEn = [
    `${brand ? `${brand.en} ` : ''}${enName}. ${descs.map((d) => d[1]).join(', ') || 'Quality pick'}.`,
    origin ? ` Origin: ${origin[1]}.` : '',
    pairWith ? ` Pairs well with ${pairWith.en[0]}.` : '',
    ` Ships worldwide.\n#${category.en.replace(/\s+/g, '')} #${kind.en[0].replace(/\s+/g, '')}`,
  ].join('');
  const description = lang === 'en' ? descEn : lang === 'bilingual' ? `${descZh}\n${descEn}` : lang === 'zh-Hant' ? toTraditional(descZh) : descZh;

  return {
    index: i,
    id: PRODUCT_ID(i),
    shopId: shop.id,
    category: category.id,
    kind: kind.id,
    brand: brand?.id ?? null,
    desc: descs.map((d) => d[0]),
    origin: origin?.[0] ?? null,
    line,
    mods,
    lang,
    title: title.slice(0, 200),
    description,
  };
}

export interface Catalogue {
  seed: number;
  shops: ShopTruth[];
  products: ProductTruth[];
}

/** The catalogue's shops for up to `maxProducts` products (fixed up front, so growing the catalogue keeps them). */
export function generateShops(seed: number, maxProducts: number): ShopTruth[] {
  return Array.from({ length: shopsFor(maxProducts) }, (_, i) => generateShop(seed, i + 1));
}

/** Products [from, to) of the catalogue. */
export function generateProducts(seed: number, shops: readonly ShopTruth[], from: number, to: number): ProductTruth[] {
  const out: ProductTruth[] = [];
  for (let i = from; i < to; i++) out.push(generateProduct(seed, i + 1, shops));
  return out;
}

/** Multi-row INSERTs of this many rows at a time (well under PostgreSQL's 65,535 bind parameters). */
const BATCH = 1000;

/** Writes the shops (with owner users and their membership) into the database. */
export async function insertShops(database: Database, shops: readonly ShopTruth[], at: Date): Promise<void> {
  const db = database.db;
  for (let s = 0; s < shops.length; s += BATCH) {
    const part = shops.slice(s, s + BATCH);
    await db.insertInto('users').values(part.map((x) => ({ id: x.ownerId, handle: `search_owner_${x.index}`, display_name: `店主 ${x.index}`, password_hash: 'x', role: 'user' as const, created_at: at }))).execute();
    await db.insertInto('shops').values(part.map((x) => ({ id: x.id, name: x.name, owner_id: x.ownerId, status: 'active' as const, created_at: at, updated_at: at }))).execute();
    await db.insertInto('shop_members').values(part.map((x) => ({ shop_id: x.id, user_id: x.ownerId, role: 'owner' as const, created_at: at }))).execute();
  }
}

/**
 * Writes products with one to three SKUs each; created_at follows the index (product i is newer than i-1, spread
 * over the 90 days before `at`), as ids do, so newest-first lists are in index order.
 */
export async function insertProducts(database: Database, seed: number, products: readonly ProductTruth[], total: number, at: Date): Promise<void> {
  const db = database.db;
  const span = 90 * 86_400_000;
  for (let s = 0; s < products.length; s += BATCH) {
    const part = products.slice(s, s + BATCH);
    const rows = part.map((p) => ({ p, t: new Date(at.getTime() - span + Math.floor((span * p.index) / (total + 1))) }));
    await db
      .insertInto('products')
      .values(rows.map(({ p, t }) => ({ id: p.id, shop_id: p.shopId, title: p.title, description: p.description, images: '[]', status: 'listed' as const, created_at: t, updated_at: t })))
      .execute();
    const skus = rows.flatMap(({ p, t }) => {
      const r = rng(mix(seed, p.index, 3));
      const base = 100 * (9 + Math.floor(r() * 500));
      const n = 1 + Math.floor(r() * 3);
      return Array.from({ length: n }, (_, j) => {
        const stocked = Math.floor(r() * 500);
        // A long tail of sales; about one SKU in twelve sold out.
        const sold = chance(r, 0.08) ? stocked : Math.floor(stocked * r() * r());
        return { id: `${p.id}k${j}`, product_id: p.id, shop_id: p.shopId, position: j, name: j === 0 ? '标准款' : `规格${j + 1}`, price: base + j * 1000, stocked, sold, created_at: t, updated_at: t };
      });
    });
    await db.insertInto('skus').values(skus).execute();
  }
}

/** Counts, for a look at what was generated. */
export function catalogueStats(products: readonly ProductTruth[]): { byLang: Record<string, number>; kinds: number; categories: number } {
  const byLang: Record<string, number> = {};
  for (const p of products) byLang[p.lang] = (byLang[p.lang] ?? 0) + 1;
  return { byLang, kinds: new Set(products.map((p) => p.kind)).size, categories: new Set(products.map((p) => p.category)).size };
}
